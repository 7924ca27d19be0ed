"""The lane's screens and modals, one module each."""
