"""(The `rasa_stack` fixture lives in tests/conftest.py so every folder shares one stack.)"""
