@echo off
REM Runs once on an instance's first boot, after sysprep's specialize and OOBE.
REM PowerShell's output goes to a log file, not to a console it may not have.
PowerShell -NoProfile -ExecutionPolicy Bypass -File C:\Windows\Setup\Scripts\wakame-init-first-boot.ps1 >> C:\Windows\Setup\Scripts\wakame-first-boot.log 2>&1
