0# Sourced by the trace session of tests/ui/test_repl.c.
break puts
continue
delete
