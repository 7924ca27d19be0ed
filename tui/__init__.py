"""The cashier lane terminal (Textual); a client of the node HTTP API only."""
