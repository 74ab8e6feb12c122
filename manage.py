#!/usr/bin/env python
from orderdesk.__main__ import main

if __name__ == "__main__":
    main()
