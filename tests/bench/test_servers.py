"""The worker harness's pure parts (no process is started here)."""

import os
import socket

import pytest

from bench.servers import free_ports, parse_vm_hwm, vm_hwm_mib, worker_env

STATUS = """Name:\tdonghanh
VmPeak:\t 2500000 kB
VmHWM:\t  716800 kB
VmRSS:\t  700000 kB
"""


def test_parse_vm_hwm_reads_the_peak_in_mib():
    assert parse_vm_hwm(STATUS) == 700.0


@pytest.mark.parametrize("text", ["Name:\tx\nVmRSS:\t 1 kB\n", "VmHWM:\t 1 MB\n"])
def test_parse_vm_hwm_refuses_what_it_cannot_read(text):
    with pytest.raises(ValueError):
        parse_vm_hwm(text)


def test_vm_hwm_of_this_process_is_positive():
    assert vm_hwm_mib(os.getpid()) > 1


def test_free_ports_skips_a_port_in_use():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = busy.getsockname()[1]
        base = free_ports(2, taken)
    assert base > taken


def test_worker_env_keeps_channels_off_and_shares_the_key(monkeypatch, tmp_path):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    monkeypatch.setenv("ZALO_APP_SECRET", "s")
    env = worker_env(tmp_path, "sqlite:///x.db", "", "key")
    assert env["TELEGRAM_BOT_TOKEN"] == ""
    assert "ZALO_APP_SECRET" not in env
    assert env["ZALO_APP_ID"] == ""
    assert env["DONGHANH_DATA_DIR"] == str(tmp_path)
    assert env["DATABASE_URL"] == "sqlite:///x.db"
    assert env["DONGHANH_SECRET_KEY"] == "key"
    assert env["REDIS_URL"] == ""
