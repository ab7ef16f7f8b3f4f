from soundalike.cli import main

raise SystemExit(main())
