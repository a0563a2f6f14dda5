"""``python -m retrogait`` runs the command line."""

from retrogait.cli import main

main()
