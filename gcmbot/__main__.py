from gcmbot.cli import main

raise SystemExit(main())
