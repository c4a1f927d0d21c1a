REM The end of a:run-sysprep.cmd. The builder writes, before these lines, the
REM extra installers and the product key (slmgr.vbs /ipk) of the build.

REM The next boot is an instance's first boot.
del C:\Windows\Setup\Scripts\SetupComplete.cmd
copy /y C:\Windows\Setup\Scripts\SetupComplete-firstboot.cmd C:\Windows\Setup\Scripts\SetupComplete.cmd

cd /d C:\Windows\System32\sysprep
sysprep.exe /generalize /oobe /shutdown /unattend:C:\Windows\Setup\Scripts\Unattend-for-first-boot.xml
