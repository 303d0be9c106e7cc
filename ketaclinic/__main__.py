from ketaclinic.cli import main

raise SystemExit(main())
