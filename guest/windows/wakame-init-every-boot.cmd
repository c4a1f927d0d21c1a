@echo off
REM The wakame-init-every-boot task (registered on the first boot).
PowerShell -NoProfile -ExecutionPolicy Bypass -File C:\Windows\Setup\Scripts\wakame-init-every-boot.ps1 >> C:\Windows\Setup\Scripts\wakame-every-boot.log 2>&1
