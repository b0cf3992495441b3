"""Pure video I/O (PyAV + OpenCV): probe, de-identify, measure, extract. No Django here."""
