"""Smoke run of bench/login_burst.py: a real controller process on loopback
and Postgres, 12 simultaneous correct logins, every one answered with working
tokens and a wrong password still refused. Memory is printed, never asserted
(the bench itself holds the ceiling)."""

from bench import login_burst


def test_a_burst_of_simultaneous_logins_all_succeed_with_working_tokens(capsys):
    figures = login_burst.run(login_burst.ROOT, 12)
    with capsys.disabled():
        print()
        login_burst.report("login burst smoke", figures)
    assert figures["ok"] == figures["n"] == 12, figures["statuses"]
    assert figures["wrong_password"] == 401
    assert figures["peak_largest"] > 0 and figures["idle_largest"] > 0
