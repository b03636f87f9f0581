"""Index generations: CURRENT names the live one; a switch keeps the previous, drops older."""

from services.index import generations


def test_a_fresh_root_gets_a_first_generation(tmp_path):
    first = generations.current(tmp_path)
    assert first.is_dir() and first.parent == tmp_path
    assert generations.current(tmp_path) == first


def test_a_switch_is_seen_and_keeps_only_the_previous_generation(tmp_path):
    first = generations.current(tmp_path)
    stamp = generations.pointer_stamp(tmp_path)
    second = generations.fresh(tmp_path)
    generations.switch(tmp_path, second)
    assert generations.current(tmp_path) == second
    assert generations.pointer_stamp(tmp_path) != stamp
    third = generations.fresh(tmp_path)
    generations.switch(tmp_path, third)
    assert sorted(p.name for p in tmp_path.glob("gen-*")) == sorted([second.name, third.name])
    assert not first.exists()
