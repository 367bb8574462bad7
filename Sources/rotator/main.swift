print("rotator")
