"""The evidence pack for the DWP Offshore Proposal Questionnaire, from one or more JSON results."""
