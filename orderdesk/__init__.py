"""orderdesk: customer order management for B2B sellers, quote to cash."""

__version__ = "0.1.0"
