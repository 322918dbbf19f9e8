# Resource limits (docs/hypervisor.md, "Limits per VM in one place"): info limits before the
# run, when no limit has bound yet, and at its end, when each VM's one limit has; one VM by
# name; a VM that is not there (status 1).
info limits
continue
info limits
info limits net
info limits nope
