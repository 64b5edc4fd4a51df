"""Đồng Hành: a Vietnamese chatbot that helps parents and children stay safe online."""
