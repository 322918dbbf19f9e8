# Completion as Tab offers it: commands, sub-commands, symbols, trap causes, costs, modes.
complete inf
complete info re
complete info 
complete break trap sys
complete break trap 
complete break mode 
complete set cost tr
complete b cou
complete break hpa:me
complete x/4x mes
complete help q
complete step e
complete break h
complete break hv sh
complete break handler hv_handle_n
complete fin
complete s
complete until r1 == st
complete frobnicate x
