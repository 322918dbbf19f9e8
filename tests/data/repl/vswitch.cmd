# Two VMs on the virtual switch (examples/vswitch.ini): their cards and the addresses learned.
continue
info nic
