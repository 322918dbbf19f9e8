# The rtos with telemetry beside the plain rtos (scenario telemetry): after the run, the cards
# (the plain rtos's, never enabled, dropped the 25 flooded frames), the switch's table (its vm
# column as wide as the name "telemetry") and the uplink that carried the frames to the peer.
continue
info nic
