from service.app import main

main()
