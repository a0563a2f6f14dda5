"""Help texts of options that several commands share, in a module that imports nothing: a command
imports them without the modules they describe (numpy and the CSV reader would cost ``batch`` ~0.2 s
before it starts its workers' fork server)."""

PRESET_HELP = (
    "Layout of an imported CSV: retrogait (what convert writes), gaitmap (two header rows, foot frame, "
    "204.8 Hz), gaitmap-raw (same, raw sensor axes), gaitmap-single (index,acc_x..gyr_z, 102.4 Hz), xio "
    "(x-io Gait-Tracking: Time (s), gyro deg/s, acc g), generic (named columns), openshoe (.mat). "
    "Default: guessed from the header."
)
COLUMNS_HELP = (
    "Name the CSV's columns (for a file without a header row, or with names retrogait does not know), "
    "e.g. t,ax,ay,az,gx,gy,gz or 't[ms],-,ax,ay,az,gx,gy,gz' (- skips a column; [unit] for the time). "
    "Units: --acc-unit, --gyr-unit."
)
