"""The stack vars plugin serves exactly one directory: the first inventory source that is a path."""

from __future__ import annotations

from plugins import ROOT, load

stack = load("vars/stack")
scaffold = load("action/scaffold")


def test_an_inventory_file_is_served_through_its_directory(tmp_path):
    (tmp_path / "hosts.yml").write_text("all: {}\n")
    assert stack.first_inventory_dir([str(tmp_path / "hosts.yml")]) == str(tmp_path.resolve())


def test_a_host_list_is_skipped_and_the_next_path_is_served(tmp_path):
    assert stack.first_inventory_dir(["localhost,", str(tmp_path)]) == str(tmp_path.resolve())


def test_only_the_first_path_source_is_served(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert stack.first_inventory_dir([str(tmp_path / "a"), str(tmp_path / "b")]) == str((tmp_path / "a").resolve())


def test_no_path_source_serves_nothing():
    assert stack.first_inventory_dir(["localhost,"]) is None
    assert stack.first_inventory_dir([]) is None


def test_the_vars_files_are_the_collections_group_vars():
    assert stack.STACK_VARS_DIR == str(ROOT / "group_vars")
    assert stack.stack_vars_file("role_app") == str(ROOT / "group_vars" / "role_app.yml")
    assert stack.stack_vars_file("env_staging") is None
    assert stack.stack_vars_file("../ansible") is None


def test_worker_hosts_take_the_app_wiring_first_then_their_own():
    assert stack.stack_vars_files("role_worker") == [str(ROOT / "group_vars" / "role_app.yml"),
                                                     str(ROOT / "group_vars" / "role_worker.yml")]
    assert stack.stack_vars_files("role_app") == [str(ROOT / "group_vars" / "role_app.yml")]
    assert stack.stack_vars_files("env_staging") == []


def test_a_var_the_inventory_file_sets_on_the_group_is_left_out():
    assert stack.without_inventory_vars({"a": 1, "b": 2}, {"b": 3}) == {"a": 1}


def test_scaffold_clashes_name_only_existing_files(tmp_path):
    (tmp_path / "a.yml").write_text("")
    files = [{"dest": "a.yml", "src": "x"}, {"dest": "b/c.yml", "src": "y"}]
    assert scaffold.clashes(str(tmp_path), files) == ["a.yml"]
