import sys

from triggerword.cli import main

sys.exit(main())
