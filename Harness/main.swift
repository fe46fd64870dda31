print("beam-boot: not yet implemented")
