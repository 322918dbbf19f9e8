0stepi
  
info registers

break puts
continue

