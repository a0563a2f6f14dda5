"""The device side of retrogait: serial ports, the recorder and the device emulator."""
