"""The live Azure adapter (``offshore-scan azure``): ARM answers -> ``azurerm_*`` records -> the shared meaning."""
