@echo off
rem custodian.cmd: the Key Custodian CLI as shipped with the desktop app (like VS Code's code.cmd).
rem Runs the app's own executable as Node (ELECTRON_RUN_AS_NODE=1) on the CLI bundled in the app.
rem This file is <app>\resources\bin\custodian.cmd: add that folder to PATH (docs/packaging.md).
setlocal
set ELECTRON_RUN_AS_NODE=1
"%~dp0..\..\Key Custodian.exe" "%~dp0..\app.asar\dist\cli\custodian.js" %*
endlocal & exit /b %ERRORLEVEL%
