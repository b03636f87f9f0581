import os
import socket

from shared.runtime import consumer_name


def test_a_consumer_is_named_by_its_service_host_and_process():
    assert consumer_name("enrich") == f"enrich-{socket.gethostname()}-{os.getpid()}"
    assert consumer_name("index") != consumer_name("enrich")
