"""Getting samples in and results out: the ``.rgt`` format, CSV import/export, loading, units.

The first stage of the data's way (io -> analysis -> balance -> history -> report -> commands).
"""
