from fastapi import APIRouter

router = APIRouter(tags=["join-page"])
