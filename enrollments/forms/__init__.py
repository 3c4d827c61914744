"""Portal forms, one module per views module (forms/wizard.py serves views/wizard.py, …).

Labels are the UI contract's words (ui-contract.md), without a colon. Forms shape input and turn
domain errors into field errors; the rules live in `services/`.
"""
