"""Helpers several test folders share; each conftest imports the fixtures it uses."""
