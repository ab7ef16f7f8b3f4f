from soundalike.cli import main

if __name__ == "__main__":  # not when multiprocessing's spawned workers import the main module
    raise SystemExit(main())
