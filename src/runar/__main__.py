from runar.cli import main

main()
