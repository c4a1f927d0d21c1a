@echo off
REM Prepares an instance for a backup that new instances will be launched
REM from: the next boot is again a first boot, with a new password.
schtasks /delete /tn wakame-init-every-boot /f

del C:\Windows\Setup\Scripts\SetupComplete.cmd
copy /y C:\Windows\Setup\Scripts\SetupComplete-firstboot.cmd C:\Windows\Setup\Scripts\SetupComplete.cmd

cd /d C:\Windows\System32\sysprep
sysprep.exe /generalize /oobe /shutdown /unattend:C:\Windows\Setup\Scripts\Unattend-for-first-boot.xml
