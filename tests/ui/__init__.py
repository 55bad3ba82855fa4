"""The Qt front end, driven with qtbot on an offscreen platform."""
