"""The command line of SPEC §8: ``supervise [--db URL] [--user NAME] COMMAND``."""
