# Debugger commands (hvsim -x examples/snapshot.cmd --scenario default): run the default
# scenario to cycle 2 000 000, then save the whole machine to d.snap (docs/snapshot.md).
# "hvsim --restore d.snap" goes on from there in a fresh process.
continue 2000000
save d.snap
