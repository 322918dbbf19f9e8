# The rogue-dma scenario: stop at the hypervisor's first dma-fault action, read the sentence,
# then the whole fault log once the run has ended.
break hv dma-fault
continue
delete
continue
info iommu
