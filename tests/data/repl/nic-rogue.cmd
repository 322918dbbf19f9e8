# A buffer outside memory: the NIC's DMA blocked, the descriptor marked, the fault logged.
continue
info iommu
info nic
x/4x 0x10000
