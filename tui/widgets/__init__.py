"""The lane's widgets: status line, banner, cart, totals, key bar."""
