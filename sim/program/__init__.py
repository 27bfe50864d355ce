"""The program around the model: the command line and its flags, signals, optional extras,
output files and their safe publishing, the project's folders, user-facing errors."""
