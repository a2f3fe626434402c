import sys

from threatlake.cli import main

sys.exit(main())
