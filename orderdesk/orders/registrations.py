"""What the orders app adds to shared places: navigation entries, panels, history labels."""
