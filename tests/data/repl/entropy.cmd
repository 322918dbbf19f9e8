# The entropy source (docs/io.md): a device only the hypervisor has. Before the VMs have
# booted no source has given a word; at the end each VM with one has given its dice 16.
info entropy
continue
info entropy
