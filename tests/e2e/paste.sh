#!/usr/bin/env bash
# The 3 a.m. accident, in a real terminal: two lines pasted into the note
# prompt used to submit the note and run the rest as keys (B: rollback, y:
# yes). A paste is text: it lands in the prompt as one line and acts on
# nothing; outside a prompt it is ignored with a notice.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

start
wait_for "DEMO"
wait_for "HighErrorRate"

keys n
wait_for "╔ Note"
paste $'rollback looks risky\nBy the way y'
wait_for "> rollback looks risky By the way y"
refute "Roll back"
keys Enter
wait_for "Note: rollback looks risky By the way y"
refute "Roll back"
pass "a two-line paste is one note and nothing else"

paste "By"
wait_for "Pasted text ignored"
refute "Roll back"
pass "a paste outside a prompt does nothing"

keys q
say_yes "Quit anyway?"
wait_for "EXITED-0"
pass "quit"
