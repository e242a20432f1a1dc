from optimizer.cli.app import main

main()
