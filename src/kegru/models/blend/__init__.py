"""The blend family: unlike models (KEGRU, gkm-SVM, ...) combined by validation-chosen
weights."""
